"""Measuring the scores against outcomes: conversion, ranking quality, trends, backtests, suggested points."""

#: Days after a moment in which a win counts for the scores of that moment (AUC, lift, backtests). Here, not in
#: cohorts.py, so the command line can show it without loading the engine.
DEFAULT_HORIZON_DAYS = 90
