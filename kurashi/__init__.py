"""Kurashi (暮らし): one platform for the Saga Prefecture ICT Utilization Promotion Plan."""
