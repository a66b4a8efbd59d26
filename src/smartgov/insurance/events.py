"""The events the insurance domain publishes."""

from smartgov.events import declare

WAGE_REPORT_FILED = declare("insurance.wage_report_filed", "An employer filed a monthly wage report.")
CONTRIBUTIONS_CREDITED = declare("insurance.contributions_credited", "A paid wage report credited contributions.")
PENSION_DECIDED = declare("insurance.pension_decided", "A pension claim was decided.")
MEDICAL_CLAIM_PAID = declare("insurance.medical_claim_paid", "A medical claim was paid.")
