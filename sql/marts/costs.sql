-- Every charge from every provider in FOCUS 1.2 columns: the table users query.
-- The bill is stored once, in allocated_costs (costs plus attribution); costs is that table
-- without the attribution columns, so both stay in step and a build writes every row once.
select
    * exclude (
        x_WorkloadType, x_WorkloadName, x_TuningJob, x_Team, x_Project, x_GpuModel, x_GpuHours, x_SharedCostKind
    )
from allocated_costs
