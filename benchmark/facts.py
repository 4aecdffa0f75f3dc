"""Published figures the benchmark scales its results to, each with its source.

Examples
--------
>>> f"{FILE_REQUESTS:,}"
'1,280,000'
"""

# records in ICE's final 2025 request file to the IRS: 1.28 million ("more than 1.27 million"),
# https://fedscoop.com/ice-irs-data-sharing-millions-of-records-court-case
FILE_REQUESTS = 1_280_000
