# The Azure portal's dates in English: "12/2/2026, 12:44 PM" (Django's own English is "Dec. 2, 2026, 12:44 p.m.").
DATE_FORMAT = "n/j/Y"
DATETIME_FORMAT = "n/j/Y, g:i A"
SHORT_DATE_FORMAT = "n/j/Y"
SHORT_DATETIME_FORMAT = "n/j/Y, g:i A"
TIME_FORMAT = "g:i A"
