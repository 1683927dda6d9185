"""Demo data: a generated organisation fed through the same paths users take."""
