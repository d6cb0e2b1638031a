"""Disaster information (plan measure 1.1): JMA 防災情報XML intake and the per-municipality warning
state, evacuation information issued by municipalities (two-person approval), shelters with live
status, field reports with moderation, the canonical public Alert and its outputs (CAP 1.2 + Atom,
GeoJSON, L-Alert EDXL-DE), and the public disaster portal with its light emergency page.
"""
