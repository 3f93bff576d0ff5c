# test registrations are added as the suites land
