"""client_name(): real clients' User-Agent strings → the name the credential list shows (issue 14 B1)."""

import pytest

from caldav_endpoint.user_agents import client_name

# Real UA strings, from the clients' sources and from server logs quoted in public trackers.
TABLE = [
    # iOS / iPadOS Calendar: dataaccessd syncs, accountsd does account set-up, remindd is Reminders
    ("iOS/18.1 (22B83) dataaccessd/1.0", "iPhone/iPad, iOS 18.1"),
    ("iOS/17.4 (21E236) accountsd/1.0", "iPhone/iPad, iOS 17.4"),
    ("iOS/15.6.1 (19G82) accountsd/1.0", "iPhone/iPad, iOS 15.6.1"),
    ("iOS/9.1 (13B143) dataaccessd/1.0", "iPhone/iPad, iOS 9.1"),
    ("iOS/16.0 (20A362) remindd/1.0", "iPhone/iPad, iOS 16.0"),
    # macOS Calendar in its many spellings
    ("macOS/14.5 (23F79) CalendarAgent/988", "Mac, macOS 14.5"),
    ("macOS/15.7.7 accountsd/1.0", "Mac, macOS 15.7.7"),
    ("Mac OS X/10.15.7 (19H2) CalendarAgent/954", "Mac, macOS 10.15.7"),
    ("Mac+OS+X/10.10.5 (14F27) CalendarAgent/316.1", "Mac, macOS 10.10.5"),
    ("Mac_OS_X/10.9 (13A603) CalendarAgent/174", "Mac, macOS 10.9"),
    ("CalendarStore/5.0.2 (1166); iCal/5.0.2 (1571); Mac OS X/10.7.3 (11D50d)", "Mac, macOS 10.7.3"),
    # DAVx5 and its former name
    ("DAVx5/4.4.1-ose (2024/06/12; dav4jvm; okhttp/4.12.0) Android/14", "DAVx5 4.4.1, Android 14"),
    ("DAVx5/4.3.13.1-gplay (2024/02/26; dav4jvm; okhttp/4.12.0) Android/13", "DAVx5 4.3.13.1, Android 13"),
    ("DAVdroid/1.10.1.1-ose (2018/03/09; dav4android; okhttp3) Android/8.1.0", "DAVdroid 1.10.1.1"),
    # Thunderbird (built-in calendar and old Lightning)
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.3.0", "Thunderbird 128.3.0"),
    ("Mozilla/5.0 (Windows NT 10.0; WOW64; rv:38.0) Gecko/20100101 Thunderbird/38.3.0 Lightning/4.0.3.1",
     "Thunderbird 38.3.0"),
    # evolution-data-server (Evolution, GNOME Calendar)
    ("Evolution/3.52.4", "Evolution 3.52.4"),
    # Outlook CalDav Synchronizer: "CalDavSynchronizer/{Major}.{Minor}"
    ("CalDavSynchronizer/4.4", "Outlook CalDav Synchronizer 4.4"),
    # python caldav (sync and async client) and vdirsyncer
    ("python-caldav/3.6.0", "python caldav 3.6.0"),
    ("caldav-async/3.6.0", "python caldav 3.6.0"),
    ("vdirsyncer/0.21.0", "vdirsyncer 0.21.0"),
    # anything else: the first product token, shortened
    ("curl/8.5.0", "curl/8.5.0"),
    ("", ""),
]


@pytest.mark.parametrize(("user_agent", "name"), TABLE)
def test_client_name(user_agent, name):
    assert client_name(user_agent) == name


def test_unknown_long_token_is_shortened():
    assert len(client_name("X" * 300)) <= 40
