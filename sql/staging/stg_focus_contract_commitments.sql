-- One row per commitment and commitment period of a loaded FOCUS Contract Commitment file (FOCUS
-- 1.3 and later), typed, with the allowed values in the spec's spelling.
select
    upper(BillingCurrency)                                   as BillingCurrency,
    case lower(ContractCommitmentCategory)
        when 'spend' then 'Spend'
        when 'usage' then 'Usage'
        else ContractCommitmentCategory
    end                                                      as ContractCommitmentCategory,
    ContractCommitmentCost,
    ContractCommitmentDescription,
    ContractCommitmentId,
    ContractCommitmentPeriodEnd,
    ContractCommitmentPeriodStart,
    ContractCommitmentQuantity,
    ContractCommitmentType,
    ContractCommitmentUnit,
    ContractId,
    ContractPeriodEnd,
    ContractPeriodStart,
    InvoiceIssuerName,
    ServiceProviderName,
    x_ExtraColumns,
    x_load_id                                                as x_LoadId
from raw_focus_contract_commitments
