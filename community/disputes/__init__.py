"""Disputes (矛盾纠纷): the community's five steps on top of the case loop.

``services`` holds the writes (each in one transaction, with its audit row; the steps are
moves of ``community.workflow``); ``views`` the phone pages. The models stay in
``community.models``.
"""
