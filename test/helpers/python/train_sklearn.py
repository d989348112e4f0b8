"""Trains two small scikit-learn regressors the way a hand-written script would, for the package
end-to-end test (test/unit/package.test.ts): a random forest saved with pickle and a scaled ridge
regression saved with joblib, each in a folder with metrics.json, params.yaml and the
environment files, which MLCycle's plain adapter reads as a run. Prints the models' predictions on
a fixed input as JSON (floats, so that any other model would give other numbers), for the test to
compare with what the restored package predicts.

usage: train_sklearn.py OUT_DIR
"""
import json
import os
import pickle
import platform
import sys

import joblib
import numpy as np
import sklearn
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

out = sys.argv[1]
X, y = make_regression(n_samples=400, n_features=6, n_informative=4, noise=5.0, random_state=7)
X_train, y_train, X_test, y_test = X[:300], y[:300], X[300:], y[300:]
probe = np.random.RandomState(42).normal(size=(12, 6))


def write_run(folder, model, params, save):
    os.makedirs(folder, exist_ok=True)
    save(model, folder)
    with open(os.path.join(folder, "metrics.json"), "w") as f:
        json.dump({"r2": float(model.score(X_test, y_test)), "train_r2": float(model.score(X_train, y_train))}, f)
    with open(os.path.join(folder, "params.yaml"), "w") as f:
        for k, v in params.items():
            f.write(f"{k}: {v}\n")
    with open(os.path.join(folder, "requirements.txt"), "w") as f:
        f.write(f"scikit-learn=={sklearn.__version__}\nnumpy=={np.__version__}\njoblib=={joblib.__version__}\n")
    with open(os.path.join(folder, "python_env.yaml"), "w") as f:
        f.write(f"python: {platform.python_version()}\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n")
    return model.predict(probe).tolist()


def save_pickle(model, folder):
    with open(os.path.join(folder, "model.pkl"), "wb") as f:
        pickle.dump(model, f)


def save_joblib(model, folder):
    joblib.dump(model, os.path.join(folder, "model.joblib"))


forest = RandomForestRegressor(n_estimators=25, max_depth=6, random_state=0).fit(X_train, y_train)
ridge = make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(X_train, y_train)
predictions = {
    "forest": write_run(os.path.join(out, "experiments", "forest"), forest, {"n_estimators": 25, "max_depth": 6}, save_pickle),
    "ridge": write_run(os.path.join(out, "experiments", "ridge"), ridge, {"alpha": 0.5}, save_joblib),
}
with open(os.path.join(out, "probe.json"), "w") as f:
    json.dump(probe.tolist(), f)
print(json.dumps({"sklearn": sklearn.__version__, "predictions": predictions}))
