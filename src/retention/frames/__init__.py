"""The pandas adapter: DataFrames in, checked and reduced once, labelled DataFrames out."""
