"""(to be written: deadline reminders from each cycle's reminder days, a periodic job)"""
