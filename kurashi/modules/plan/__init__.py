"""The plan itself as a living dashboard: the Saga Prefecture ICT Utilization Promotion Plan's
motto, actors, five pillars and 28 measures (from data/plan.json, transcribed from the plan's text),
which module delivers each measure, live indicators registered by modules, and progress reports
by each measure's responsible department.
"""
