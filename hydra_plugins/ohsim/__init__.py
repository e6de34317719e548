"""ohsim's Hydra plugins (found by Hydra's scan of the ``hydra_plugins`` namespace).

- ``grouped_sweeper``: ``hydra/sweeper=grouped_validation``
- ``joblib_launcher``: ``hydra/launcher=joblib_kept_state``
"""
