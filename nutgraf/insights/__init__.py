"""What readers ask, given back to the newsroom.

``recording`` keeps each ask in the question log (no reader, address or browser is kept);
``grouping`` puts near-identical questions together as they arrive; ``gaps`` says which
groups a story leaves unanswered; ``report`` builds the insights that ``nutgraf insights``,
``GET /v1/insights`` and the insights page show; ``seed`` asks sample questions for the demo.
"""
