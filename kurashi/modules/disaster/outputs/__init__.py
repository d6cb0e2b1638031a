"""Machine outputs of the canonical alerts: CAP 1.2 (cap.py), the Atom feed of CAP messages
(atom.py) and L-Alert EDXL-DE documents of evacuation orders and shelter status (lalert.py)."""
