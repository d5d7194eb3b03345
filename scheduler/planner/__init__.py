"""The planner ("Terminplaner", issue 11): a resource grid inside the admin.

- ``access``: who may open it, which branches and which writes (one helper, used by every view);
- ``views``: the page, the grid's one JSON feed (``scheduler.selectors.planner_feed``) and an
  appointment's short history for the popover (``scheduler.history_display``);
- ``actions``: create / move / resize / delete / restore a version, each through ``scheduler.services``
  with If-Match;
- ``forms``: the input rules of those JSON requests; ``payload``: the JSON the grid draws;
- ``navigation``: the planner as the first entry of the admin's "Terminplaner" section.
"""
