"""Measuring the scores against outcomes: conversion, ranking quality, backtests, reports."""
