"""Themes and trends: versioned theme definitions, expected levels, breakdowns, emerging themes."""
