-- Every charge from every provider in FOCUS 1.2 columns, before attribution.
-- The three providers' models share one column list, so this is a UNION ALL by position.
with aws_charges as (

    select * from int_aws_charges

),

focus_charges as (

    select * from int_focus_charges

),

gcp_charges as (

    select * from int_gcp_charges

)

select * from aws_charges
union all
select * from focus_charges
union all
select * from gcp_charges
