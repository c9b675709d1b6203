"""The protection workflow that passes a child's case from department to department: the case's
state machine (`steps`), deadlines (`deadlines`), alerts (`alerts`), the rules that raise alerts
on their own (`rules`) and the periodic sweep that finds what is overdue (`sweeper`)."""
