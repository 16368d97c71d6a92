"""Pricing: the charge models (one module each, registered in `charge_models`), charge filters and the
min-amount true-up."""
