"""The optional ear of callassist: audio sources, Vosk recognition and model management.

Only this package imports `vosk` and `sounddevice`, and only inside functions, so the rest of callassist
(and importing these modules) works when they or the PortAudio library are missing.
"""
