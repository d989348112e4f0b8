"""Loads an MLflow model folder the way mlflow.pyfunc.load_model does and prints its predictions
on a JSON input (MLflow itself cannot be installed here: no PyPI). The steps follow
mlflow/pyfunc/__init__.py load_model: read MLmodel, take the python_function flavor, put its
`code` folder on sys.path, then importlib.import_module(loader_module)._load_pyfunc(data_path)
with data_path = <model>/<data> when `data` is set, else the model folder. The `mlflow.sklearn`
loader comes from mlflow_stub/, which mirrors MLflow's own. With --flavor sklearn it loads the
way mlflow.sklearn.load_model does instead.

usage: load_pyfunc.py MODEL_DIR INPUT_JSON [--flavor sklearn]
"""
import importlib
import json
import os
import sys

import numpy as np
import yaml

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "mlflow_stub"))

model_dir, input_path = sys.argv[1], sys.argv[2]
flavor = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--flavor" else "python_function"
with open(os.path.join(model_dir, "MLmodel")) as f:
    meta = yaml.safe_load(f)
with open(input_path) as f:
    data = np.array(json.load(f))

if flavor == "sklearn":
    import mlflow.sklearn

    model = mlflow.sklearn.load_model(model_dir)
    predictions = model.predict(data)
else:
    conf = meta["flavors"]["python_function"]
    if conf.get("code"):
        sys.path.insert(0, os.path.join(model_dir, conf["code"]))
    data_path = os.path.join(model_dir, conf["data"]) if "data" in conf else model_dir
    impl = importlib.import_module(conf["loader_module"])._load_pyfunc(data_path)
    predictions = impl.predict(data)
print(json.dumps(np.asarray(predictions).tolist()))
