"""Customer-base models for lifetime value: RFM counting, one fitting routine, one module per model.

Pure numpy/scipy, like the rest of :mod:`retention.core`. :mod:`~retention.core.clv.summary` counts
frequency, recency and T from integer codes; :mod:`~retention.core.clv.fitting` is the one maximum-likelihood
routine every model uses; each model module (:mod:`~retention.core.clv.beta_geo`, ...) declares its
log-likelihood as a :class:`~retention.core.clv.fitting.Likelihood` and its predictions as functions of
arrays and parameters. The pandas classes that users see live in :mod:`retention.frames`.
"""
