// Behaviour shared by every page. Loaded as a file: the CSP forbids inline scripts.
"use strict";
