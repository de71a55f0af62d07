module example.com/dist-bot

go 1.24
