"""MLflow "model from code" entry: MLflow runs this file to build the model when it loads it.

Logging the wrapper this way stores no pickle: the fitted estimator is an skops (or Hugging Face)
artifact that ``NarrativeModel.load_context`` reads.
"""

import mlflow.models

from classifier.pyfunc import NarrativeModel

mlflow.models.set_model(NarrativeModel())
