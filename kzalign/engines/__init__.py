"""Layer 3, engines: the models and the pure algorithms the stages run (encoders, translators, argos
packages, the Dask engine, the sentence aligner, candidate search, link keys, scoring, background)."""
