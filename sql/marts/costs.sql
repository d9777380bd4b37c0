-- Every charge from every provider in FOCUS 1.2 columns: the table users query.
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
