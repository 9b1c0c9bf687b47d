"""The service cockpit (服务效能驾驶舱): history rolled up per day, KPIs, the web pages managers read."""
