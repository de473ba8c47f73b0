"""Entry modules that configs name in ``custom_imports``: importing one registers the svm modules of its task
(:func:`svm.utils.setup_env.register_all_modules`). A tracker that also recognises actions imports both."""
