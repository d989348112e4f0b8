"""Stand-in for mlflow.sklearn's loading path, step for step (mlflow/sklearn/__init__.py:
_load_pyfunc, load_model, _load_model_from_local_file), for a machine without MLflow.

_load_pyfunc(path): for a folder, serialization_format comes from the sklearn flavor (pickle when
the flavor is missing), the file from python_function's model_path; for a file (MLflow <= 1.9.1
models), pickle. load_model(path): the file is the sklearn flavor's pickled_model.
"""
import os
import pickle

import yaml

SUPPORTED_SERIALIZATION_FORMATS = ["pickle", "cloudpickle"]


def _flavor(model_dir, name):
    with open(os.path.join(model_dir, "MLmodel")) as f:
        flavors = yaml.safe_load(f)["flavors"]
    if name not in flavors:
        raise KeyError(f'Model does not have the "{name}" flavor')
    return flavors[name]


def _load_model_from_local_file(path, serialization_format):
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise ValueError(f"Unrecognized serialization format: {serialization_format}")
    with open(path, "rb") as f:
        if serialization_format == "pickle":
            return pickle.load(f)
        import cloudpickle

        return cloudpickle.load(f)


class _SklearnModelWrapper:
    def __init__(self, sklearn_model):
        self.sklearn_model = sklearn_model

    def predict(self, data, params=None):
        return self.sklearn_model.predict(data)


def _load_pyfunc(path, model_config=None):
    if os.path.isfile(path):
        serialization_format = "pickle"
    else:
        try:
            serialization_format = _flavor(path, "sklearn").get("serialization_format", "pickle")
        except KeyError:
            serialization_format = "pickle"
        path = os.path.join(path, _flavor(path, "python_function")["model_path"])
    return _SklearnModelWrapper(_load_model_from_local_file(path, serialization_format))


def load_model(model_uri):
    conf = _flavor(model_uri, "sklearn")
    return _load_model_from_local_file(os.path.join(model_uri, conf["pickled_model"]), conf.get("serialization_format", "pickle"))
