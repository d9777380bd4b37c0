"""What each FOCUS version and dataset of ``finops export focus`` selects, as SQL over the warehouse.

FOCUS 1.2 is ``costs`` as it stands. 1.3 adds the provider columns every source has
(ServiceProviderName, HostProviderName). 1.4 removed ProviderName and PublisherName and splits the
data into datasets: Cost and Usage (from ``costs``), Contract Commitment (from the
``contract_commitments`` mart), and, where the bill carries invoice ids, Billing Period and Invoice
Detail. The 1.4 columns and their allowed values are the FOCUS 1.4 data model's; a value the
bills do not state (a payment model, a contract term GCP's export leaves out) is derived from the
charges as documented in docs/focus-export.md, never invented per row.
"""

from __future__ import annotations

from finops.warehouse.columns.focus import COSTS_1_3_COLUMNS, DEPRECATED_ALIASES, FOCUS_COLUMNS

VERSIONS = ("1.2", "1.3", "1.4")
DEFAULT_VERSION = "1.2"  # the FinOps Foundation's validator checks 1.2 offline; 1.4 only by a third-party lint
DATASETS = ("cost-and-usage", "contract-commitment", "billing-period", "invoice-detail")
INVOICE_DATASETS = ("billing-period", "invoice-detail")  # written only where the bill has invoice ids


def cost_and_usage_columns(version: str) -> dict[str, str]:
    """The FOCUS columns of the Cost and Usage dataset of ``version``, name -> type in ``costs``."""
    columns = dict(FOCUS_COLUMNS)
    if version == "1.2":
        return columns
    columns.update(dict.fromkeys(COSTS_1_3_COLUMNS, "VARCHAR"))
    if version == "1.4":
        for removed in DEPRECATED_ALIASES:
            del columns[removed]
        columns = dict(sorted(columns.items()))
    return columns


def cost_and_usage_fill(version: str) -> dict[str, str]:
    """Columns 1.4 requires where a source left them empty, and the value each stands for.

    The pricing currency is the billing currency unless a source says otherwise. A row with a price
    id has a list and a contracted unit price (1.4 requires both there): the source's, else the
    list price where nothing was discounted, else the cost per priced unit, rounded to 20 decimal
    places so that price times quantity gives back the cost within FOCUS's tolerance. A row with no
    priced quantity (a credit, a fee) has no unit price to name, so it carries no price id.
    """
    if version != "1.4":
        return {}
    priced = "(SkuPriceId is not null and coalesce(PricingQuantity, 0) <> 0)"
    return {
        "ContractedUnitPrice": (
            f"case when ContractedUnitPrice is null and {priced} then coalesce("
            "case when ContractedCost = ListCost then ListUnitPrice end, "
            f"{_per_unit('ContractedCost')}) else ContractedUnitPrice end"
        ),
        "ListUnitPrice": f"case when ListUnitPrice is null and {priced} then {_per_unit('ListCost')} else ListUnitPrice end",
        "PricingCurrency": "coalesce(PricingCurrency, BillingCurrency)",
        "PricingCurrencyEffectiveCost": "coalesce(PricingCurrencyEffectiveCost, EffectiveCost)",
        "SkuPriceDetails": f"case when {priced} or ListUnitPrice is not null then SkuPriceDetails end",
        "SkuPriceId": f"case when {priced} or ListUnitPrice is not null then SkuPriceId end",
    }


def _per_unit(cost: str) -> str:
    return f"cast({cost} / PricingQuantity as decimal(38, 20))"


CONTRACT_COMMITMENT_SQL = """
with commitments as (
    select * from contract_commitments
),
fees as (
    -- how the commitment is paid, from its own fee lines on the bill
    select
        CommitmentDiscountId,
        bool_or(ChargeFrequency = 'One-Time')  as upfront,
        bool_or(ChargeFrequency = 'Recurring') as recurring
    from costs
    where ChargeCategory = 'Purchase' and CommitmentDiscountId is not null
    group by 1
),
terms as (
    -- the contract term: as the bill states it, else the billing periods the commitment was seen in
    select
        ContractCommitmentId,
        coalesce(min(ContractPeriodStart), min(ContractCommitmentPeriodStart)) as term_start,
        coalesce(max(ContractPeriodEnd), max(ContractCommitmentPeriodEnd))     as term_end
    from commitments
    group by 1
),
loaded as (
    select
        CommitmentDiscountId,
        min(loads.loaded_at) as first_loaded,
        max(loads.loaded_at) as last_loaded
    from costs
    join loads on loads.load_id = costs.x_LoadId
    where CommitmentDiscountId is not null
    group by 1
),
shaped as (
    select
        commitments.*,
        terms.term_start,
        terms.term_end,
        date_diff('month', terms.term_start, terms.term_end)              as term_months,
        date_diff('day', terms.term_start, terms.term_end)                as term_days,
        coalesce(fees.upfront, false)                                     as upfront,
        coalesce(fees.recurring, not coalesce(fees.upfront, false))       as recurring,
        coalesce(loaded.first_loaded, commitments.ContractCommitmentPeriodStart) as first_loaded,
        coalesce(loaded.last_loaded, commitments.ContractCommitmentPeriodEnd)    as last_loaded
    from commitments
    join terms using (ContractCommitmentId)
    left join fees on fees.CommitmentDiscountId = commitments.ContractCommitmentId
    left join loaded on loaded.CommitmentDiscountId = commitments.ContractCommitmentId
)
select
    BillingCurrency,
    '{"InclusionOperator": "Or", "Inclusions": [{"Dimension": "CommitmentDiscountId", "Operator": "In", "Values": ['
        || to_json(ContractCommitmentId) || ']}]}'                            as ContractCommitmentApplicability,
    'Discount'                                                                 as ContractCommitmentBenefitCategory,
    ContractCommitmentCategory,
    ContractCommitmentCost,
    cast(least(term_start, first_loaded) as timestamptz)                       as ContractCommitmentCreated,
    ContractCommitmentDescription,
    cast(null as decimal(38, 10))                                              as ContractCommitmentDiscountPercentage,
    case
        when term_months > 0 and term_months % 12 = 0
            then (term_months // 12) || case when term_months = 12 then ' Year' else ' Years' end
        when term_months > 0 and term_start + to_months(term_months) = term_end
            then term_months || case when term_months = 1 then ' Month' else ' Months' end
        else greatest(term_days, 1) || case when term_days = 1 then ' Day' else ' Days' end
    end                                                                        as ContractCommitmentDurationType,
    'Hourly'                                                                   as ContractCommitmentFulfillmentInterval,
    ContractCommitmentId,
    cast(greatest(term_start, first_loaded, last_loaded) as timestamptz)       as ContractCommitmentLastUpdated,
    case when term_end <= ContractCommitmentPeriodStart then 'Expired' else 'Active' end
                                                                               as ContractCommitmentLifecycleStatus,
    'Continuous'                                                               as ContractCommitmentModel,
    'Public'                                                                   as ContractCommitmentOfferCategory,
    case when recurring then 'Monthly' else 'One-Time' end                     as ContractCommitmentPaymentInterval,
    case
        when upfront and recurring then 'Partial Upfront'
        when upfront then 'All Upfront'
        else 'No Upfront'
    end                                                                        as ContractCommitmentPaymentModel,
    cast(ContractCommitmentPeriodEnd as timestamptz)                           as ContractCommitmentPeriodEnd,
    cast(ContractCommitmentPeriodStart as timestamptz)                         as ContractCommitmentPeriodStart,
    ContractCommitmentQuantity,
    ContractCommitmentType,
    ContractCommitmentUnit,
    ContractId,
    cast(term_end as timestamptz)                                              as ContractPeriodEnd,
    cast(term_start as timestamptz)                                            as ContractPeriodStart,
    coalesce(InvoiceIssuerName, ServiceProviderName)                           as InvoiceIssuerName,
    ServiceProviderName,
    x_Source
from shaped
order by ContractCommitmentId, ContractCommitmentPeriodStart
"""

BILLING_PERIOD_SQL = """
select
    cast(min(loads.loaded_at) as timestamptz)            as BillingPeriodCreated,
    cast(BillingPeriodEnd as timestamptz)                as BillingPeriodEnd,
    cast(max(loads.loaded_at) as timestamptz)            as BillingPeriodLastUpdated,
    cast(BillingPeriodStart as timestamptz)              as BillingPeriodStart,
    case when count(InvoiceId) = count(*) then 'Closed' else 'Open' end as BillingPeriodStatus,
    InvoiceIssuerName
from costs
join loads on loads.load_id = costs.x_LoadId
where InvoiceIssuerName is not null
group by BillingPeriodStart, BillingPeriodEnd, InvoiceIssuerName
order by BillingPeriodStart, InvoiceIssuerName
"""

INVOICE_DETAIL_SQL = """
select
    sum(BilledCost)                                      as BilledCost,
    BillingAccountId,
    BillingCurrency,
    cast(BillingPeriodEnd as timestamptz)                as BillingPeriodEnd,
    cast(BillingPeriodStart as timestamptz)              as BillingPeriodStart,
    ChargeCategory,
    cast(min(loads.loaded_at) as timestamptz)            as InvoiceDetailCreated,
    ChargeCategory || ' charges for ' || ServiceName     as InvoiceDetailDescription,
    cast(to_json(map {'ServiceName': ServiceName}) as varchar) as InvoiceDetailGrain,
    InvoiceId || '/' || ChargeCategory || '/' || ServiceName   as InvoiceDetailId,
    cast(max(loads.loaded_at) as timestamptz)            as InvoiceDetailLastUpdated,
    InvoiceId,
    cast(null as timestamptz)                            as InvoiceIssueDate,
    'Issued'                                             as InvoiceIssueStatus,
    InvoiceIssuerName,
    cast(null as timestamptz)                            as PaymentDueDate,
    'As agreed with the invoice issuer'                  as PaymentTerms,
    InvoiceId                                            as ReferenceInvoiceId
from costs
join loads on loads.load_id = costs.x_LoadId
where InvoiceId is not null
group by all
order by InvoiceDetailId
"""

DATASET_SQL = {
    "contract-commitment": CONTRACT_COMMITMENT_SQL,
    "billing-period": BILLING_PERIOD_SQL,
    "invoice-detail": INVOICE_DETAIL_SQL,
}
"""The 1.4 datasets other than Cost and Usage, each a query over the warehouse."""
