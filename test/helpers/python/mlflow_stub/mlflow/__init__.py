"""Stand-in for the parts of MLflow that load a scikit-learn model (see sklearn.py)."""
