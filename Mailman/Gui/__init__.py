"""The list administrator's settings, declared once.

Each category of the admin pages is a class here (2.1's module and class
names) that declares its settings with their widget types, choices and
help; the web admin pages render and check forms from these declarations
and bin/config_list writes and reads list configuration files from them.

    categories()            the category objects, in ADMIN_CATEGORIES order
    attribute_map(mlist)    {attribute: (category, subcat, widget, params)}
    declarations(mlist)     (category, subcat, declaration tuple) for each
    validate(mlist, values) convert and check several new values at once
"""

from Mailman import mm_cfg
from Mailman.Gui.Archive import Archive
from Mailman.Gui.Autoresponse import Autoresponse
from Mailman.Gui.Bounce import Bounce
from Mailman.Gui.ContentFilter import ContentFilter
from Mailman.Gui.Digest import Digest
from Mailman.Gui.GatewayMgr import GatewayMgr
from Mailman.Gui.General import General
from Mailman.Gui.GUIBase import ValidationError, cross_check
from Mailman.Gui.Language import Language
from Mailman.Gui.Membership import Membership
from Mailman.Gui.NonDigest import NonDigest
from Mailman.Gui.Passwords import Passwords
from Mailman.Gui.Privacy import Privacy
from Mailman.Gui.Topics import Topics

CATEGORY_CLASSES = (General, Passwords, Language, Membership, NonDigest,
                    Digest, Privacy, Bounce, Archive, GatewayMgr,
                    Autoresponse, ContentFilter, Topics)

__all__ = ['CATEGORY_CLASSES', 'ValidationError', 'attribute_map',
           'categories', 'category', 'declarations', 'validate'] + \
          [cls.__name__ for cls in CATEGORY_CLASSES]


def categories():
    """One object per admin category, in the order of
    mm_cfg.ADMIN_CATEGORIES (names the site lists but that do not exist
    are skipped)."""
    by_name = {cls.NAME: cls for cls in CATEGORY_CLASSES}
    return [by_name[name]() for name in mm_cfg.ADMIN_CATEGORIES
            if name in by_name]


def category(name):
    """The category object called NAME, or None."""
    for cls in CATEGORY_CLASSES:
        if cls.NAME == name:
            return cls()
    return None


def sections(mlist):
    """(category object, subcategory name or None, GetConfigInfo list) for
    every category and subcategory that declares settings, in page
    order."""
    result = []
    for gui in categories():
        name = gui.GetConfigCategory()[0]
        subcats = gui.GetConfigSubCategories(name)
        for subcat in [s[0] for s in subcats] if subcats else [None]:
            info = gui.GetConfigInfo(mlist, name, subcat)
            if info:
                result.append((gui, subcat, info))
    return result


def declarations(mlist):
    """(category name, subcategory, declaration tuple) for every setting,
    in page order."""
    return [(gui.NAME, subcat, item)
            for gui, subcat, info in sections(mlist)
            for item in info[1:] if isinstance(item, tuple)]


def attribute_map(mlist):
    """{attribute: (category name, subcategory, widget type, params)} for
    every setting the admin pages show for MLIST (pseudo-attributes such as
    _new_volume included)."""
    return {item[0]: (name, subcat, item[1], item[2])
            for name, subcat, item in declarations(mlist)}


def is_setting(attribute):
    """True for real settings, False for the actions (_new_volume...)."""
    return not attribute.startswith('_')


def validate(mlist, values, form=False):
    """Convert and check VALUES, {attribute: new value}, for MLIST.

    Returns (converted, errors, warnings): the values to store, a list of
    ValidationError (nothing should be stored when it is not empty), and a
    list of (attribute, message) warnings.  Attributes that are not admin
    settings are errors here; FORM is as for GUIBase.convert().
    """
    amap = attribute_map(mlist)
    guis = {gui.NAME: gui for gui in categories()}
    converted, errors, warnings = {}, [], []
    for attribute, value in values.items():
        if attribute not in amap:
            errors.append(ValidationError(attribute,
                                          'not a list setting'))
            continue
        name, subcat, widget_type, params = amap[attribute]
        try:
            converted[attribute] = guis[name].convert(
                mlist, attribute, widget_type, params, value, form=form,
                pending=values, warnings=warnings)
        except ValidationError as error:
            errors.append(error)
    failed = {error.attribute for error in errors}
    errors.extend(error for error in cross_check(mlist, converted)
                  if error.attribute not in failed)
    return converted, errors, warnings
