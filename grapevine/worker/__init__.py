"""Workers: the scheduler's jobs carried by a task queue on PostgreSQL (procrastinate), so
any number of ``grapevine worker`` processes, on any machines, share them."""
