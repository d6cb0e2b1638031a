"""Dissemination (plan 1.1, part 2): subscriptions, channels (e-mail, Web Push, webhooks, SNS, and
LINE/SMS adapters), per-language messages, and the fan-out pipeline that reaches every subscribed
resident exactly once per alert revision, in separate lanes (emergency, normal, bulk)."""
