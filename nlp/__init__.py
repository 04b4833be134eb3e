"""Grapevine's classifiers: sentiment, complaint and comment quality, plus language id."""
