-- Every commitment of every provider, one row per commitment and commitment period, in the FOCUS
-- Contract Commitment dataset's columns. A provider that delivers the dataset (a FOCUS 1.3+ file)
-- is taken as delivered; for the others the rows are derived from the bill: one per commitment
-- discount (Savings Plan, Reserved Instance, committed use discount, or a FOCUS file's) and billing
-- period, costing what its Used and Unused rows cost, with the term AWS's CUR states.
with landed as (

    select * from stg_focus_contract_commitments

),

aws_terms as (

    select
        coalesce(savings_plan_arn, reservation_arn)                          as commitment_id,
        min(coalesce(savings_plan_start, reservation_start))                 as term_start,
        max(coalesce(savings_plan_end, reservation_end))                     as term_end,
        max(savings_plan_type)                                               as offering
    from stg_aws_cur
    where coalesce(savings_plan_arn, reservation_arn) is not null
    group by 1

),

billed as (

    select
        CommitmentDiscountId,
        BillingPeriodStart,
        max(BillingPeriodEnd)                                                as BillingPeriodEnd,
        max(BillingCurrency)                                                 as BillingCurrency,
        max(CommitmentDiscountCategory)                                      as CommitmentDiscountCategory,
        max(CommitmentDiscountType)                                          as CommitmentDiscountType,
        max(CommitmentDiscountName)                                          as CommitmentDiscountName,
        max(ServiceProviderName)                                             as ServiceProviderName,
        max(InvoiceIssuerName)                                               as InvoiceIssuerName,
        sum(EffectiveCost)                                                   as commitment_cost
    from costs
    where CommitmentDiscountStatus in ('Used', 'Unused')
      and CommitmentDiscountId is not null
    group by CommitmentDiscountId, BillingPeriodStart

),

derived as (

    select
        billed.BillingCurrency,
        coalesce(billed.CommitmentDiscountCategory, 'Spend')                 as ContractCommitmentCategory,
        cast(billed.commitment_cost as decimal(38, 10))                      as ContractCommitmentCost,
        case
            when aws_terms.offering like '%SavingsPlans'
                then regexp_replace(aws_terms.offering, 'SavingsPlans$', '') || ' Savings Plan'
            else coalesce(billed.CommitmentDiscountType, 'Commitment')
        end || ' ' || coalesce(billed.CommitmentDiscountName, billed.CommitmentDiscountId)
                                                                             as ContractCommitmentDescription,
        billed.CommitmentDiscountId                                          as ContractCommitmentId,
        billed.BillingPeriodEnd                                              as ContractCommitmentPeriodEnd,
        billed.BillingPeriodStart                                            as ContractCommitmentPeriodStart,
        cast(null as decimal(38, 10))                                        as ContractCommitmentQuantity,
        coalesce(billed.CommitmentDiscountType, 'Commitment')                as ContractCommitmentType,
        cast(null as varchar)                                                as ContractCommitmentUnit,
        billed.CommitmentDiscountId                                          as ContractId,
        aws_terms.term_end                                                   as ContractPeriodEnd,
        aws_terms.term_start                                                 as ContractPeriodStart,
        billed.InvoiceIssuerName,
        billed.ServiceProviderName,
        'bill'                                                               as x_Source
    from billed
    left join aws_terms on aws_terms.commitment_id = billed.CommitmentDiscountId
    where not exists (select 1 from landed where landed.ContractCommitmentId = billed.CommitmentDiscountId)

)

select * exclude (x_ExtraColumns, x_LoadId), 'focus_file' as x_Source
from landed
union all
select * from derived
