"""Measuring the scores against outcomes: conversion, ranking quality, trends, backtests, suggested points."""
