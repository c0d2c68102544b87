"""The technician's day: the back office's pages made for a phone (mounted under /admin/my-day/).
A door onto operations' selectors and services, like the API and the admin."""
