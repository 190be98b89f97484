module agentsec.example/adapter

go 1.19
