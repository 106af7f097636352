"""The bundled demo: a sample job and generated sample resumes (fictional people)."""
