# MySQL Connector/C++ 1.1 (Debian: libmysqlcppconn-dev), which ships no CMake config.
# Defines MySQLCppConn_FOUND and the imported target MySQLCppConn::MySQLCppConn.
find_path(MySQLCppConn_INCLUDE_DIR NAMES mysql_driver.h cppconn/driver.h)
find_library(MySQLCppConn_LIBRARY NAMES mysqlcppconn)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MySQLCppConn
    REQUIRED_VARS MySQLCppConn_LIBRARY MySQLCppConn_INCLUDE_DIR)
mark_as_advanced(MySQLCppConn_INCLUDE_DIR MySQLCppConn_LIBRARY)

if(MySQLCppConn_FOUND AND NOT TARGET MySQLCppConn::MySQLCppConn)
    add_library(MySQLCppConn::MySQLCppConn UNKNOWN IMPORTED)
    # Imported include directories are SYSTEM: the connector's headers are not warning-free.
    set_target_properties(MySQLCppConn::MySQLCppConn PROPERTIES
        IMPORTED_LOCATION "${MySQLCppConn_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${MySQLCppConn_INCLUDE_DIR}")
endif()
