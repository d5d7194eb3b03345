"""The planner ("Terminplaner", issue 11): a resource grid inside the admin.

- ``access``: who may open it, which branches and which writes (one helper, used by every view);
- ``views``: the page and the grid's one JSON feed (``scheduler.selectors.planner_feed``);
- ``actions``: create / move / resize / delete, each through ``scheduler.services`` with If-Match;
- ``forms``: the input rules of those JSON requests; ``payload``: the JSON the grid draws;
- ``navigation``: the planner as the first entry of the admin's "Terminplaner" section.
"""
