"""The SPARQL 1.1 protocol, framework-free: the guard that reads every query as the engine does, and the engine's answers passed through."""
