"""The engine: the only package that imports llama_cpp (lazily, inside llama.py)."""
