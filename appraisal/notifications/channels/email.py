"""(to be written: e-mail over SMTP)"""
