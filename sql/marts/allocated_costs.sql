-- costs, each row with what it paid for and who owns it: the base of every attribution mart.
select * from int_cost_attribution
