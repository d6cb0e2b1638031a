"""Hearing-impaired support centre (plan 1.4): interpreter and captioner dispatch, remote live
captions, text relay chat, text 119 (Net119-style) and captioned information access."""
