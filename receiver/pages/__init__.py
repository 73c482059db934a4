"""The browser pages' own logic: views of stored data, the dashboard and its charts, the event tester, sign-in sessions, form reading."""
